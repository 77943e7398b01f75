"""FHIR R4 JSON: a Bundle of any type, a single resource, or NDJSON (bulk export).

Laboratory Observations become results (fhir_labs), grouped by the DiagnosticReport that references them.

Decoded once with orjson; each entry we import is validated on its own with the fhir.resources R4B models
(the package's default R5 models reject R4 files), so one bad entry is skipped and listed while the rest
goes on. Resource types the chart has no list for (Claim, Encounter, ...) are counted, not validated:
validating what is thrown away would only cost time.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlparse

import orjson
from pydantic import ValidationError

from . import fhir_histories, fhir_labs, fhir_map
from .builder import ParsedBuilder, check_texts
from .errors import SkipEntry, UnreadableFile
from .fhir_map import MapContext
from .vaccine_names import vaccine_name

log = logging.getLogger(__name__)

IMPORTED_TYPES = ("Condition", "MedicationRequest", "MedicationStatement", "AllergyIntolerance", "Immunization",
                  "Observation") + fhir_histories.TYPES
LOOKUP_TYPES = frozenset({"Medication", "Practitioner", "PractitionerRole", "Organization", "Patient", "Composition",
                          "Bundle", "DiagnosticReport"})

_models: dict[str, Any] = {}


def model_class(resource_type: str) -> Any:
    cls = _models.get(resource_type)
    if cls is None:
        from fhir.resources.R4B import get_fhir_model_class

        cls = _models[resource_type] = get_fhir_model_class(resource_type)
    return cls


_ONE_OF = re.compile(r"Expect any of field value from this list \[([^\]]*)\]")


def validation_reason(exc: ValidationError) -> str:
    """The first problem pydantic found, in words: 'subject: required field missing (+2 more)'."""
    errors = exc.errors(include_url=False, include_input=False)
    if not errors:
        return "invalid"
    e = errors[0]
    loc = ".".join(str(p) for p in e.get("loc", ()) if p != "__root__") or "resource"
    kind = e.get("type", "")
    if kind == "missing" or kind.endswith(".missing"):
        msg = "required field missing"
    elif kind == "json_invalid" or kind in ("dict_type", "model_type", "model_attributes_type"):
        msg = "wrong type (expected an object)"
    elif kind == "list_type":
        msg = "wrong type (expected a list)"
    elif kind == "extra_forbidden":
        msg = "unknown field"
    else:
        msg = str(e.get("msg", "invalid")).replace("Value error, ", "")
        m = _ONE_OF.search(msg)
        if m:
            msg = "one of " + ", ".join(x.strip(" '\"") for x in m.group(1).split(",")) + " is required"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{loc}: {msg}{more}"[:400]


def decode(raw: bytes, name: str) -> list[Any]:
    """JSON or NDJSON to a list of top-level values. Raises UnreadableFile with the parser's reason."""
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark (Windows editors) is no JSON error
    if not raw.strip():
        raise UnreadableFile(f"{name} is empty")
    try:
        return [orjson.loads(raw)]
    except orjson.JSONDecodeError as first_error:
        lines = [ln for ln in raw.splitlines() if ln.strip()]
        if len(lines) > 1:
            try:
                return [orjson.loads(ln) for ln in lines]  # NDJSON: one resource per line
            except orjson.JSONDecodeError:
                pass
        raise UnreadableFile(f"{name} is not valid JSON ({_short(first_error)})") from None


def _short(exc: Exception) -> str:
    text = str(exc)
    if "recursion" in text.lower() or "depth limit" in text.lower():
        return "nested too deeply: " + text.split("\n")[0][:120]
    return text.split("\n")[0][:160]


def looks_like_fhir(values: list[Any]) -> bool:
    return bool(values) and all(isinstance(v, dict) and isinstance(v.get("resourceType"), str) for v in values)


class FhirJsonReader:
    """Reads the decoded top-level values of one or more files into a ParsedBuilder."""

    def __init__(self, builder: ParsedBuilder, file_name: str):
        self.b = builder
        self.file_name = file_name
        self.entries: list[tuple[str, str, dict]] = []  # (label, key, resource)
        self.index: dict[str, dict] = {}  # fullUrl / Type/id -> resource
        self.patient_keys: dict[str, str] = {}  # any way to refer to a patient -> its key
        self._validated_meds: dict[int, Any] = {}
        self.source_system = ""

    # ---------------------------------------------------------------- collecting
    def add_values(self, values: list[Any], origin: str) -> None:
        limits = self.b.control.limits
        for n, value in enumerate(values):
            if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
                self.b.skip(f"{origin} value {n + 1}", "not a FHIR resource (no resourceType)")
                continue
            self._collect(value, origin, None, depth=0)
            if len(self.entries) > limits.max_entries:
                raise UnreadableFile(f"{self.file_name} holds more than {limits.max_entries:,} resources")

    def _collect(self, resource: dict, origin: str, full_url: str | None, depth: int) -> None:
        rtype = resource.get("resourceType")
        if rtype == "Bundle":
            if depth >= self.b.control.limits.max_bundle_nesting:
                self.b.skip(f"{origin} Bundle", "Bundles nested too deeply")
                return
            if not self.source_system:
                self.source_system = _meta_source(resource)
            entries = resource.get("entry") or []
            if not isinstance(entries, list):
                self.b.skip(f"{origin} Bundle.entry", "wrong type (expected a list)")
                return
            for i, entry in enumerate(entries):
                label = f"{origin} entry {i + 1}"
                if not isinstance(entry, dict):
                    self.b.skip(label, "entry is not an object")
                    continue
                res = entry.get("resource")
                if res is None:
                    continue  # a transaction response or a deleted entry: nothing to import
                if not isinstance(res, dict) or not isinstance(res.get("resourceType"), str):
                    self.b.skip(label, "entry.resource is not a FHIR resource")
                    continue
                url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
                self._collect(res, label, url, depth + 1)
            return
        rid = resource.get("id") if isinstance(resource.get("id"), str) else None
        key = full_url or (f"{rtype}/{rid}" if rid else f"{origin}")
        if full_url:
            self.index[full_url] = resource
        if rid:
            self.index[f"{rtype}/{rid}"] = resource
        if rtype in IMPORTED_TYPES or rtype in LOOKUP_TYPES:
            label = f"{rtype}/{rid}" if rid else f"{rtype} ({origin})"
            self.entries.append((label, _short_key(key, rtype, rid), resource))
        else:
            self.b.ignore(rtype)

    # ---------------------------------------------------------------- references
    def _resolve(self, reference: str | None, container: dict | None = None) -> dict | None:
        if not reference:
            return None
        if reference.startswith("#") and container is not None:
            for c in container.get("contained") or ():
                if isinstance(c, dict) and c.get("id") == reference[1:]:
                    return c
            return None
        found = self.index.get(reference)
        if found is None and "/" in reference:
            parts = reference.rstrip("/").split("/")
            if len(parts) >= 2:
                found = self.index.get(f"{parts[-2]}/{parts[-1]}")
                if found is None and len(parts) >= 4 and parts[-2] == "_history":
                    found = self.index.get(f"{parts[-4]}/{parts[-3]}")
        return found

    def patient_ref(self, ref: Any) -> str:
        reference = getattr(ref, "reference", None) if ref is not None else None
        if not reference:
            return ""
        known = self.patient_keys.get(reference)
        if known:
            return known
        res = self._resolve(reference)
        if res is not None and res.get("resourceType") == "Patient" and res.get("id"):
            return self.patient_keys.get(f"Patient/{res['id']}", reference)
        return reference

    def author(self, ref: Any) -> str:
        if ref is None:
            return ""
        display = (getattr(ref, "display", None) or "").strip()
        if display:
            return display[:200]
        res = self._resolve(getattr(ref, "reference", None))
        return _display_name(res)[:200] if res else ""

    def medication(self, ref: Any, container: dict | None = None) -> Any:
        res = self._resolve(getattr(ref, "reference", None), container)
        if res is None or res.get("resourceType") != "Medication":
            return None
        cached = self._validated_meds.get(id(res))
        if cached is None:
            try:
                cached = model_class("Medication").model_validate(res)
            except (ValidationError, RecursionError, ValueError):
                return None
            self._validated_meds[id(res)] = cached
        return cached

    # ---------------------------------------------------------------- validating and normalising
    def run(self) -> None:
        b = self.b
        self.source_system = self.source_system or self._guess_source_system()
        total = len(self.entries)
        # patients first: the other records point at them
        for label, key, res in self.entries:
            if res.get("resourceType") != "Patient":
                continue
            model = self._validate(label, res)
            if model is None:
                continue
            try:
                p = fhir_map.patient(model, key, _meta_source(res) or self.source_system)
                b.add_patient(p)
            except SkipEntry as exc:
                b.skip(label, exc.reason)
                continue
            for alias in (key, f"Patient/{res.get('id')}" if res.get("id") else None):
                if alias:
                    self.patient_keys[alias] = key
            for url, r in self.index.items():
                if r is res:
                    self.patient_keys[url] = key
        panels = self._lab_panels()
        for done, (label, key, res) in enumerate(self.entries, 1):
            if done % 64 == 0:
                b.control.report(done, total, "validating")
            rtype = res.get("resourceType")
            if rtype not in IMPORTED_TYPES:
                continue
            model = self._validate(label, res)
            if model is None:
                continue
            ctx = self._context(key, res)
            try:
                if rtype == "Observation" and fhir_labs.is_lab_observation(res):
                    record = fhir_labs.lab_observation(model, ctx, panels.get(id(res)))
                    check_texts(record, b.control.limits.max_text_chars)
                    b.add(record)
                    continue
                if rtype == "Condition":
                    b.add(fhir_map.condition(model, ctx))
                elif rtype == "MedicationRequest":
                    b.add(fhir_map.medication_request(model, ctx))
                elif rtype == "MedicationStatement":
                    b.add(fhir_map.medication_statement(model, ctx))
                elif rtype == "AllergyIntolerance":
                    b.add(fhir_map.allergy(model, ctx))
                elif rtype == "Immunization":
                    b.add(fhir_map.immunization(model, ctx, vaccine_name))
                elif rtype in fhir_histories.TYPES or (rtype == "Observation" and fhir_histories.is_social(res)):
                    for r in fhir_histories.read(rtype, model, ctx):
                        b.add(r)
                elif rtype == "Observation":
                    records = fhir_map.observation(model, ctx)
                    for r in records:  # check every part before adding any (a BP is both or nothing)
                        check_texts(r, b.control.limits.max_text_chars)
                    for r in records:
                        b.add(r)
            except SkipEntry as exc:
                b.skip(label, exc.reason)
        b.control.report(total, total, "validating", force=True)

    def _context(self, key: str, res: dict) -> MapContext:
        return MapContext(
            source_system=_meta_source(res) or self.source_system, resource_key=key,
            patient_ref=self.patient_ref, author=self.author,
            medication=lambda ref, _res=res: self.medication(ref, _res), ignore=self.b.ignore,
        )

    def _lab_panels(self) -> dict[int, fhir_labs.PanelInfo]:
        """Each laboratory DiagnosticReport's results (by resource identity) -> the panel they belong to."""
        out: dict[int, fhir_labs.PanelInfo] = {}
        for label, key, res in self.entries:
            if res.get("resourceType") != "DiagnosticReport":
                continue
            if not fhir_labs.is_lab_report(res):
                self.b.ignore("DiagnosticReport (not a laboratory report)")
                continue
            model = self._validate(label, res)
            if model is None:
                continue
            info = fhir_labs.panel_info(model, self._context(key, res))
            for ref in model.result or ():
                target = self._resolve(ref.reference, res)
                if target is not None:
                    out.setdefault(id(target), info)
        return out

    def _validate(self, label: str, res: dict) -> Any:
        try:
            return model_class(res["resourceType"]).model_validate(res)
        except ValidationError as exc:
            self.b.skip(label, validation_reason(exc))
        except RecursionError:
            self.b.skip(label, "nested too deeply")
        except (ValueError, TypeError) as exc:  # fhir_core raises plain ValueError for some malformed input
            self.b.skip(label, f"invalid: {str(exc).splitlines()[0][:200]}")
        return None

    def _guess_source_system(self) -> str:
        for _label, _key, res in self.entries:
            if res.get("resourceType") == "Composition":
                for ref_field in ("custodian",):
                    ref = res.get(ref_field)
                    if isinstance(ref, dict):
                        name = ref.get("display") or _display_name(self._resolve(ref.get("reference")))
                        if name:
                            return str(name)[:300]
                for ref in res.get("author") or ():
                    if isinstance(ref, dict):
                        name = ref.get("display") or _display_name(self._resolve(ref.get("reference")))
                        if name:
                            return str(name)[:300]
        for url in self.index:
            if url.startswith(("http://", "https://")):
                host = urlparse(url).hostname
                if host:
                    return host
        for _label, _key, res in self.entries:
            if res.get("resourceType") == "Patient":
                for ident in res.get("identifier") or ():
                    system = ident.get("system", "") if isinstance(ident, dict) else ""
                    if isinstance(system, str) and "synthea" in system.lower():
                        return "Synthea"
        return ""


def _short_key(key: str, rtype: str, rid: str | None) -> str:
    """Keys are stored in source_resource_id (300 characters): prefer Type/id for long absolute URLs."""
    if len(key) <= 300:
        return key
    return f"{rtype}/{rid}"[:300] if rid else key[-300:]


def _meta_source(resource: dict) -> str:
    """meta.source names the system a resource came from; a bare '#request-id' (HAPI) names nothing."""
    meta = resource.get("meta")
    if isinstance(meta, dict) and isinstance(meta.get("source"), str):
        source = meta["source"].split("#", 1)[0].strip()
        return source[:300]
    return ""


def _display_name(res: dict | None) -> str:
    if not isinstance(res, dict):
        return ""
    name = res.get("name")
    if isinstance(name, str):
        return name
    if isinstance(name, list) and name and isinstance(name[0], dict):
        n = name[0]
        if isinstance(n.get("text"), str):
            return n["text"]
        given = " ".join(g for g in n.get("given") or () if isinstance(g, str))
        family = n.get("family") if isinstance(n.get("family"), str) else ""
        prefix = " ".join(p for p in n.get("prefix") or () if isinstance(p, str))
        return " ".join(x for x in (prefix, given, family) if x)
    return ""


