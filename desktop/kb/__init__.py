"""The clinical knowledge package: every file of resources/kb loaded once, validated, and served from here.

- formulary.py, vaccines.py: drugs (RxNorm) and vaccines (CVX), pydantic models of their entry shapes
- rules.py: the alert rule files (interactions, therapeutic and allergy classes, vital rules), pydantic models
  and the checks that span files; desktop/alerts compiles them into the engine's indexes
- vitals.py: the vitals catalog, the one table of vital LOINC codes, UCUM units, plausibility bounds and normal
  ranges by age (and the module constants SYSTOLIC, HEART_RATE, ... that the rest of the app imports)
- units.py: the one unit converter (UCUM factors); lab_units.py adds the per-analyte laboratory tables
- age.py: the one age function, by the calendar
- labs.py, histories.py: the laboratory catalog and the history vocabularies
- icd10_synonyms.py, drug_abbreviations.py: what clinicians type (htn, afib; HCTZ, APAP, TMP-SMX) and what it means
- supplements.py: dietary supplements the alert checks cannot read, and why (said with 'not checked')
- schema.py, errors.py, text.py: shared model types, the KnowledgeBaseError family, text folding

No Qt, no database (import-linter holds it to that). Views reach it only through desktop/services/knowledge.py.
"""
