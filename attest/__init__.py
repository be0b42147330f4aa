"""attest: the engagement form of directive DIR 2022 DQEPE 054, its electronic signature,
a tamper-evident (signed, hash-chained, append-only) store, an offline verifier and receipts.

Library API (the CLI in :mod:`attest.cli` is a thin layer over it)::

    form = load_form(); directive = load_directive()
    submission = validate_submission(form, raw_values)        # SubmissionError (French)
    with AttestationStore(path) as store:
        record = store.sign(submission, form, directive, quiz, "typed", private_key)
    report = verify_store(path, public_keys_by_id([load_public_key(cert_path)]))
    html = render_receipt(record, form, directive)
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .directive import DirectiveInfo, load_directive
    from .errors import (
        AlreadySigned,
        AttestError,
        FormError,
        NotFound,
        SigningKeyError,
        StoreError,
        SubmissionError,
    )
    from .form import (
        Commitment,
        FormContent,
        Submission,
        available_forms,
        load_form,
        validate_submission,
    )
    from .identity import EMPLOYEE_NUMBER_PATTERN, IdentificationMethod, is_valid_employee_number
    from .keys import init_keys, key_id, load_private_key, load_public_key, public_keys_by_id
    from .receipt import render_receipt
    from .record import AttestationRecord
    from .settings import AttestSettings
    from .signing import SignatureInvalid, sign_attestation, verify_jws
    from .status import EmployeeStatus, attestation_status
    from .store import AttestationStore, QuizResult, normalize_code
    from .verify import Anchor, Finding, VerificationReport, verify_store

_HOMES: dict[str, str] = {
    **dict.fromkeys(("DirectiveInfo", "load_directive"), "directive"),
    **dict.fromkeys(
        (
            "AlreadySigned",
            "AttestError",
            "FormError",
            "NotFound",
            "SigningKeyError",
            "StoreError",
            "SubmissionError",
        ),
        "errors",
    ),
    **dict.fromkeys(
        ("Commitment", "FormContent", "Submission", "available_forms", "load_form", "validate_submission"),
        "form",
    ),
    **dict.fromkeys(
        ("EMPLOYEE_NUMBER_PATTERN", "IdentificationMethod", "is_valid_employee_number"), "identity"
    ),
    **dict.fromkeys(
        ("init_keys", "key_id", "load_private_key", "load_public_key", "public_keys_by_id"), "keys"
    ),
    "render_receipt": "receipt",
    "AttestationRecord": "record",
    "AttestSettings": "settings",
    **dict.fromkeys(("SignatureInvalid", "sign_attestation", "verify_jws"), "signing"),
    **dict.fromkeys(("EmployeeStatus", "attestation_status"), "status"),
    **dict.fromkeys(("AttestationStore", "QuizResult", "normalize_code"), "store"),
    **dict.fromkeys(("Anchor", "Finding", "VerificationReport", "verify_store"), "verify"),
}
"""Where each public name lives: imported on first use, so that a learner kernel importing
``attest.form`` does not load the signing library, the store and the verifier with it."""


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` the first time it is asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'attest' has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "EMPLOYEE_NUMBER_PATTERN",
    "AlreadySigned",
    "Anchor",
    "AttestError",
    "AttestSettings",
    "AttestationRecord",
    "AttestationStore",
    "Commitment",
    "DirectiveInfo",
    "EmployeeStatus",
    "Finding",
    "FormContent",
    "FormError",
    "IdentificationMethod",
    "NotFound",
    "QuizResult",
    "SignatureInvalid",
    "SigningKeyError",
    "StoreError",
    "Submission",
    "SubmissionError",
    "VerificationReport",
    "attestation_status",
    "available_forms",
    "init_keys",
    "is_valid_employee_number",
    "key_id",
    "load_directive",
    "load_form",
    "load_private_key",
    "load_public_key",
    "normalize_code",
    "public_keys_by_id",
    "render_receipt",
    "sign_attestation",
    "validate_submission",
    "verify_jws",
    "verify_store",
]
