"""Clinical alerts: drug-drug, duplicate therapy, drug-allergy (with class cross-reactivity), vital-sign ranges.

No Qt, no database. The knowledge base ships in resources/kb and is read locally; when it cannot be loaded the
engine raises KnowledgeBaseUnavailable (never an empty, reassuring result).

    from desktop.alerts import AlertContext, DrugRef, evaluate
    alerts = evaluate(AlertContext(active_meds=(DrugRef("warfarin", ("warfarin",)),),
                                   proposed=(DrugRef("ibuprofen", ("ibuprofen",)),)))
"""

from .engine import evaluate, resolve_allergy
from .errors import KnowledgeBaseUnavailable, UnknownDrug
from .free_text import (
    allergen_from_text,
    allergy_note,
    drug_ref_from_text,
    near_allergy_name,
    not_checked_note,
    with_assumption,
)
from .kb import KnowledgeBase, clear_cache, load_kb, norm
from .model import (
    DEFAULT_INTERRUPTING,
    KINDS,
    SEVERITIES,
    Alert,
    AlertContext,
    AllergyRef,
    DrugRef,
    at_least,
    severity_rank,
)
from .resolve import drug_ref_from_name, formulary_ingredient_keys

__all__ = [
    "DEFAULT_INTERRUPTING", "KINDS", "SEVERITIES", "Alert", "AlertContext", "AllergyRef", "DrugRef",
    "KnowledgeBase", "KnowledgeBaseUnavailable", "UnknownDrug", "allergen_from_text", "allergy_note", "at_least",
    "clear_cache", "drug_ref_from_name", "drug_ref_from_text", "evaluate", "formulary_ingredient_keys", "load_kb",
    "near_allergy_name", "norm", "not_checked_note", "resolve_allergy", "severity_rank", "with_assumption",
]
