"""read_file(): find out what a PHR file is and read it into a ParsedFile.

Formats: FHIR R4 JSON (Bundle of any type, a single resource, NDJSON), a folder or zip of FHIR JSON files
(Apple Health clinical-records export), Apple Health export.xml (streamed), C-CDA CCD XML, and the JSON of
a few wearable vendor APIs (Google Fit, Fitbit, Withings, iHealth). Anything else is refused with a sentence.
"""

from __future__ import annotations

import hashlib
import io
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO

from . import app_exports, apple_health, wearable
from .builder import ParsedBuilder
from .control import CancelFn, ProgressFn, ReadControl
from .errors import FileTooLarge, PhrError, UnreadableFile, UnsafeFile
from .limits import ReadLimits, default_limits
from .records import ParsedFile
from .streams import MeteredReader, read_all

if TYPE_CHECKING:
    from .fhir_json import FhirJsonReader

SNIFF_BYTES = 64 * 1024
_XML_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(HealthData|ClinicalDocument)[\s>/]")
ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
UNSUPPORTED = ("not a format this import reads: use FHIR JSON or NDJSON, a zip or folder of FHIR files, "
               "Apple Health export.xml, or a C-CDA document")


def read_file(path: str | Path, *, limits: ReadLimits | None = None, progress: ProgressFn | None = None,
              cancelled: CancelFn | None = None) -> ParsedFile:
    """Read, validate and normalise a PHR file or folder. Raises UnreadableFile, ReadCancelled."""
    control = ReadControl(progress=progress, cancelled=cancelled, limits=limits or default_limits())
    p = Path(path)
    if p.is_dir():
        return _read_folder(p, control)
    try:
        st = p.stat()
    except OSError as exc:
        raise UnreadableFile(f"cannot open {p.name}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):  # a FIFO or a device would block the read forever, or never end
        raise UnreadableFile(f"{p.name} is not a regular file (a pipe or a device?); not read")
    size = st.st_size
    try:
        with p.open("rb") as fh:
            return _read_stream(fh, p.name, size, control)
    except OSError as exc:
        raise UnreadableFile(f"cannot read {p.name}: {exc.strerror or exc}") from None


def read_bytes(data: bytes, name: str, *, limits: ReadLimits | None = None, progress: ProgressFn | None = None,
               cancelled: CancelFn | None = None) -> ParsedFile:
    """The same as read_file for content already in memory (tests, drag and drop)."""
    control = ReadControl(progress=progress, cancelled=cancelled, limits=limits or default_limits())
    return _read_stream(io.BytesIO(data), name, len(data), control)


# ------------------------------------------------------------------ one file

def _fhir_json():
    """The FHIR and C-CDA readers (and the lab catalog they load) are imported when a file needs them: an Apple
    Health export, the biggest and most frequent import, starts without them."""
    from . import fhir_json

    return fhir_json


def _ccda():
    from . import ccda

    return ccda


def _sniff(head: bytes) -> str:
    h = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith(ZIP_MAGIC) or head.startswith(EMPTY_ZIP_MAGIC):
        return "zip"
    if h.startswith(b"<"):
        m = _XML_ROOT.search(h)
        if m:
            return "apple-health" if m.group(1) == b"HealthData" else "ccda"
        return "xml"
    if h.startswith((b"{", b"[")):
        return "json"
    if not h:
        return "empty"
    return "unknown"


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_XML_ENCODING = re.compile(rb"""(<\?xml[^>]*?encoding\s*=\s*)["']utf-?16[^"']*["']""", re.IGNORECASE)


def _as_utf8(fh: BinaryIO, name: str, size: int, control: ReadControl) -> BinaryIO:
    """A UTF-16 file (Windows tools write them; the byte-order mark says so) read as the UTF-8 every reader
    expects, within the same size limit; its XML declaration is told of the new encoding."""
    limit = max(control.limits.max_json_bytes, control.limits.max_ccda_bytes)
    data, _sha = read_all(fh, control, total=size, limit=limit, what=name)
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{name} starts as UTF-16 but is not valid UTF-16 ({exc.reason})") from None
    utf8 = text.encode("utf-8")
    return io.BytesIO(_XML_ENCODING.sub(rb'\1"UTF-8"', utf8[:4096], count=1) + utf8[4096:])


def _read_stream(fh: BinaryIO, name: str, size: int, control: ReadControl) -> ParsedFile:
    head = fh.read(SNIFF_BYTES)
    fh.seek(0)
    if head.startswith(_UTF16_BOMS):
        fh = _as_utf8(fh, name, size, control)
        size = len(fh.getvalue())
        head = fh.read(SNIFF_BYTES)
        fh.seek(0)
    kind = _sniff(head)
    if kind == "empty":
        raise UnreadableFile(f"{name} is empty")
    if kind == "zip":
        return _read_zip(fh, name, size, control)
    builder = ParsedBuilder(control)
    if kind == "apple-health":
        reader = MeteredReader(fh, control, total=size, limit=control.limits.max_xml_bytes, what=name)
        apple_health.read(reader, builder, name)
        reader.drain()
        return builder.build(name, reader.sha.hexdigest(), reader.count, "apple-health")
    if kind == "ccda":
        data, sha = read_all(fh, control, total=size, limit=control.limits.max_ccda_bytes, what=name)
        _ccda().read(data, builder, name)
        return builder.build(name, sha, len(data), "ccda")
    if kind == "xml":
        raise UnreadableFile(f"{name} is XML but neither an Apple Health export nor a C-CDA document")
    if kind == "json":
        data, sha = read_all(fh, control, total=size, limit=control.limits.max_json_bytes, what=name)
        fmt = _read_json(data, name, builder)
        return builder.build(name, sha, len(data), fmt)
    if name.lower().endswith(".csv"):  # Google Fit daily metrics, Samsung Health, MyFitnessPal
        data, sha = read_all(fh, control, total=size, limit=control.limits.max_json_bytes, what=name)
        fmt = app_exports.read_csv(data, name, builder)
        return builder.build(name, sha, len(data), fmt)
    raise UnreadableFile(f"{name} is {UNSUPPORTED}")


def _read_json(data: bytes, name: str, builder: ParsedBuilder) -> str:
    fhir_json = _fhir_json()
    values = fhir_json.decode(data, name)
    if fhir_json.looks_like_fhir(values):
        reader = fhir_json.FhirJsonReader(builder, name)
        reader.add_values(values, name)
        reader.run()
        if len(values) > 1:
            return "fhir-ndjson"
        return "fhir-bundle" if values[0].get("resourceType") == "Bundle" else "fhir-resource"
    if len(values) == 1 and app_exports.is_app_json(values[0]):  # Google Takeout Fit "All Data" file
        return app_exports.read_app_json(values[0], builder, name)
    if len(values) == 1:
        vendor = wearable.detect(values[0])
        if vendor:
            wearable.read(vendor, values[0], builder, name)
            return f"wearable-{vendor}"
    raise UnreadableFile(
        f"{name} is JSON but not FHIR (no resourceType) and not a wearable export this import knows "
        f"({', '.join(wearable.VENDOR_NAMES.values())})"
    )


# ------------------------------------------------------------------ folders and zips

def _member_kind(name: str) -> str:
    low = name.lower()
    base = PurePosixPath(low).name
    if base.startswith(".") or "__macosx" in low:
        return "skip"
    if base == "export_cda.xml":
        return "apple-cda"  # Apple's CDA copy of export.xml: same readings again
    if base.endswith((".json", ".ndjson")):
        return "json"
    if base.endswith(".csv"):
        return "csv"
    if base.endswith(".xml"):
        return "xml"
    if base.endswith(".zip"):
        return "zip"
    return "other"


def _read_folder(folder: Path, control: ReadControl) -> ParsedFile:
    builder = ParsedBuilder(control)
    fhir = _fhir_json().FhirJsonReader(builder, folder.name)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    if len(files) > control.limits.max_zip_members:
        raise FileTooLarge(f"{folder.name} holds more than {control.limits.max_zip_members:,} files")
    digest = hashlib.sha256()
    total = 0
    formats: set[str] = set()
    has_export = any(p.name.lower() == "export.xml" for p in files)
    for p in files:
        rel = p.relative_to(folder).as_posix()
        kind = _member_kind(rel)
        if kind in ("skip", "other", "zip") or (kind == "apple-cda" and has_export):
            if kind != "skip":
                builder.ignore(f"file {PurePosixPath(rel).suffix or rel}")
            continue
        with p.open("rb") as fh:
            size = p.stat().st_size
            sha, n, fmt = _read_member(fh, rel, size, control, builder, fhir)
        digest.update(rel.encode() + b"\0" + sha.encode() + b"\n")
        total += n
        formats.add(fmt)
    _finish_fhir(fhir, builder)
    if not formats - {"skipped"}:
        raise UnreadableFile(f"{folder.name} holds no readable FHIR JSON, Apple Health or C-CDA file")
    return builder.build(folder.name, digest.hexdigest(), total, _combined(formats, "folder"))


def _read_zip(fh: BinaryIO, name: str, size: int, control: ReadControl) -> ParsedFile:
    limits = control.limits
    data_sha = hashlib.sha256()
    while chunk := fh.read(1 << 20):
        data_sha.update(chunk)
    fh.seek(0)
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFile(f"{name} is not a readable zip file ({exc})") from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > limits.max_zip_members:
            raise UnsafeFile(f"{name} holds {len(infos):,} files (limit {limits.max_zip_members:,})")
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_zip_total_bytes:
            raise UnsafeFile(
                f"{name} would expand to {declared // (1024 * 1024):,} MB "
                f"(limit {limits.max_zip_total_bytes // (1024 * 1024):,} MB); not read"
            )
        compressed = sum(i.compress_size for i in infos)
        if declared > 1024 * 1024 and declared > max(compressed, 1) * limits.max_zip_ratio:
            raise UnsafeFile(f"{name} expands more than {limits.max_zip_ratio} times its size (a zip bomb?); not read")
        builder = ParsedBuilder(control)
        fhir = _fhir_json().FhirJsonReader(builder, name)
        formats: set[str] = set()
        read_so_far = 0
        has_export = any(PurePosixPath(i.filename.lower()).name == "export.xml" for i in infos)
        for info in sorted(infos, key=lambda i: i.filename):
            kind = _member_kind(info.filename)
            if kind == "zip":
                builder.skip(info.filename, "a zip inside the zip is not opened")
                continue
            if kind in ("skip", "other") or (kind == "apple-cda" and has_export):
                if kind != "skip":
                    builder.ignore(f"file {PurePosixPath(info.filename).suffix or info.filename}")
                continue
            if info.flag_bits & 0x1:
                raise UnreadableFile(f"{name} is encrypted (password-protected zip); unzip it first")
            remaining = limits.max_zip_total_bytes - read_so_far
            try:
                with zf.open(info) as member:
                    guarded = _GuardedMember(member, remaining, info, limits.max_zip_ratio, name)
                    _sha, n, fmt = _read_member(guarded, info.filename, info.file_size, control, builder, fhir)
            except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
                raise UnreadableFile(f"{name}: {info.filename} is damaged ({exc})") from None
            except NotImplementedError as exc:
                raise UnreadableFile(f"{name}: {info.filename} uses an unsupported compression ({exc})") from None
            read_so_far += n
            formats.add(fmt)
        _finish_fhir(fhir, builder)
        if not formats - {"skipped"}:
            raise UnreadableFile(f"{name} holds no readable FHIR JSON, Apple Health or C-CDA file")
        return builder.build(name, data_sha.hexdigest(), size, _combined(formats, "zip"))


class _GuardedMember(io.RawIOBase):
    """A zip member that stops at the overall budget or an absurd expansion ratio, whatever the header says."""

    def __init__(self, member: BinaryIO, budget: int, info: zipfile.ZipInfo, max_ratio: int, archive: str):
        self._m = member
        self._budget = budget
        self._count = 0
        self._info = info
        self._ratio = max_ratio
        self._archive = archive

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._m.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._count += n
        if self._count > self._budget:
            raise UnsafeFile(f"{self._archive} expands beyond the limit while reading {self._info.filename}; not read")
        if self._count > 1024 * 1024 and self._count > max(self._info.compress_size, 1) * self._ratio:
            raise UnsafeFile(f"{self._archive}: {self._info.filename} expands more than {self._ratio} times "
                             "its compressed size (a zip bomb?); not read")
        return n


def _read_member(fh: BinaryIO, rel: str, size: int, control: ReadControl, builder: ParsedBuilder,
                 fhir: FhirJsonReader) -> tuple[str, int, str]:
    """One file of a folder or zip; FHIR JSON is collected into `fhir` and validated once at the end."""
    buffered = io.BufferedReader(fh) if not hasattr(fh, "peek") else fh  # type: ignore[arg-type]
    head = buffered.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(buffered, "peek") else b""
    kind = _sniff(head)
    if kind == "apple-health":
        reader = MeteredReader(buffered, control, total=size, limit=control.limits.max_xml_bytes, what=rel)
        apple_health.read(reader, builder, rel)
        reader.drain()
        return reader.sha.hexdigest(), reader.count, "apple-health"
    if kind == "ccda":
        data, sha = read_all(buffered, control, total=size, limit=control.limits.max_ccda_bytes, what=rel)
        _ccda().read(data, builder, rel)
        return sha, len(data), "ccda"
    if kind == "json":
        data, sha = read_all(buffered, control, total=size, limit=control.limits.max_json_bytes, what=rel)
        try:
            values = _fhir_json().decode(data, rel)
        except UnreadableFile as exc:
            builder.skip(rel, str(exc))
            return sha, len(data), "skipped"
        if _fhir_json().looks_like_fhir(values):
            fhir.add_values(values, rel)
            return sha, len(data), "fhir"
        if len(values) == 1 and app_exports.is_app_json(values[0]):
            return sha, len(data), app_exports.read_app_json(values[0], builder, rel)
        builder.skip(rel, "JSON but not FHIR")
        return sha, len(data), "skipped"
    if kind == "empty":
        builder.skip(rel, "empty file")
        return hashlib.sha256(b"").hexdigest(), 0, "skipped"
    if rel.lower().endswith(".csv"):
        data, sha = read_all(buffered, control, total=size, limit=control.limits.max_json_bytes, what=rel)
        try:
            return sha, len(data), app_exports.read_csv(data, rel, builder)
        except UnreadableFile as exc:
            builder.skip(rel, str(exc))
            return sha, len(data), "skipped"
    builder.skip(rel, "not FHIR JSON, Apple Health or C-CDA")
    return "", 0, "skipped"


def _finish_fhir(fhir: FhirJsonReader, builder: ParsedBuilder) -> None:
    if fhir.entries:
        fhir.run()


def _combined(formats: set[str], container: str) -> str:
    real = sorted(f for f in formats if f != "skipped")
    if not real:
        return container
    return f"{container}-{real[0]}" if len(real) == 1 else f"{container}-mixed"


__all__ = ["PhrError", "read_bytes", "read_file"]
