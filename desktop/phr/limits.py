"""Size limits for reading PHR files. Module-level defaults; pass a ReadLimits to override per call.

A patient's file is untrusted input: every limit here exists so that a malformed or hostile file ends
with a clear message instead of exhausting memory or time.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024

# JSON is decoded whole (orjson), so its cap is what the workstation can hold comfortably.
MAX_JSON_BYTES = 300 * MB
# Apple Health export.xml is streamed; real exports reach several hundred MB.
MAX_XML_BYTES = 4096 * MB
# A C-CDA document is parsed as one tree; real CCDs are a few MB at most.
MAX_CCDA_BYTES = 50 * MB
# Zip archives (Apple Health export.zip, a folder of FHIR files): zip-bomb guards.
MAX_ZIP_MEMBERS = 50_000
MAX_ZIP_TOTAL_BYTES = 2048 * MB  # total uncompressed size of the members we read
MAX_ZIP_RATIO = 200  # uncompressed / compressed, per member and overall
# Per file content
MAX_ENTRIES = 500_000  # FHIR resources in one file
MAX_READINGS = 2_000_000  # device readings (Apple Health, wearables)
MAX_TEXT_CHARS = 20_000  # any one text we keep (a name, a sig, a note); longer -> the entry is skipped
MAX_BUNDLE_NESTING = 4  # Bundles inside Bundles


@dataclass(frozen=True, slots=True)
class ReadLimits:
    max_json_bytes: int = MAX_JSON_BYTES
    max_xml_bytes: int = MAX_XML_BYTES
    max_ccda_bytes: int = MAX_CCDA_BYTES
    max_zip_members: int = MAX_ZIP_MEMBERS
    max_zip_total_bytes: int = MAX_ZIP_TOTAL_BYTES
    max_zip_ratio: int = MAX_ZIP_RATIO
    max_entries: int = MAX_ENTRIES
    max_readings: int = MAX_READINGS
    max_text_chars: int = MAX_TEXT_CHARS
    max_bundle_nesting: int = MAX_BUNDLE_NESTING


def default_limits() -> ReadLimits:
    """The module-level defaults as they are now (tests and settings may change the constants)."""
    return ReadLimits(
        max_json_bytes=MAX_JSON_BYTES, max_xml_bytes=MAX_XML_BYTES, max_ccda_bytes=MAX_CCDA_BYTES,
        max_zip_members=MAX_ZIP_MEMBERS, max_zip_total_bytes=MAX_ZIP_TOTAL_BYTES, max_zip_ratio=MAX_ZIP_RATIO,
        max_entries=MAX_ENTRIES, max_readings=MAX_READINGS, max_text_chars=MAX_TEXT_CHARS,
        max_bundle_nesting=MAX_BUNDLE_NESTING,
    )
