"""Every file formation-tic reads or writes, derived from the data directory.

Kept apart from :mod:`formation_tic.settings` (pydantic-settings, every section) so that a
learner kernel can know its paths without importing the whole settings root.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DataPaths:
    """Every file the module reads or writes, derived from the data directory (absolute)."""

    data_dir: Path

    @property
    def progress(self) -> Path:
        """Learners' progress (resume), written by the learner app."""
        return self.data_dir / "app" / "progress.db"

    @property
    def kernel_config(self) -> Path:
        """The resolved settings ``serve`` hands to its kernels."""
        return self.data_dir / "app" / "kernel-config.json"

    @property
    def bank_cache(self) -> Path:
        """The graded bank as checked once for every learner kernel (mode 0600, rewritten when
        a bank file, the profile or the rules change)."""
        return self.data_dir / "app" / "banque-verifiee.json"

    @property
    def outbox(self) -> Path:
        """The xAPI outbox (statements waiting for, or sent to, the LRS)."""
        return self.data_dir / "outbox.db"

    @property
    def statements(self) -> Path:
        """Statements pulled from the LRS for the reports (« lrs pull »)."""
        return self.data_dir / "lrs-statements.db"

    @property
    def attestations(self) -> Path:
        """The signed, append-only attestation register."""
        return self.data_dir / "attestations.db"

    @property
    def keys_dir(self) -> Path:
        """The establishment's signing key and its public parts."""
        return self.data_dir / "keys"

    @property
    def private_key(self) -> Path:
        """RSA private key (mode 0600)."""
        return self.keys_dir / "signing-key.pem"

    @property
    def certificate(self) -> Path:
        """Self-signed certificate given to verifiers."""
        return self.keys_dir / "signing-cert.pem"

    @property
    def public_key(self) -> Path:
        """Public key given to verifiers."""
        return self.keys_dir / "signing-key.pub.pem"

    @property
    def lti_tool_key(self) -> Path:
        """The LTI tool's RSA private key (mode 0600; platforms read its public JWKS)."""
        return self.keys_dir / "lti-tool-key.pem"

    @property
    def lti_session_secret(self) -> Path:
        """The key that signs LTI session cookies (mode 0600)."""
        return self.keys_dir / "lti-session-secret"

    @property
    def lti_store(self) -> Path:
        """LTI launches, sessions and the durable queue of AGS scores for the ENA's gradebook."""
        return self.data_dir / "lti.db"

    @property
    def roster(self) -> Path:
        """HR database: the staff roster and the register's verification cache."""
        return self.data_dir / "hr.db"

    @property
    def reports(self) -> Path:
        """Report files (CSV, XLSX, HTML)."""
        return self.data_dir / "rapports"

    @property
    def demo_lrs(self) -> Path:
        """The local demonstration LRS (Ralph) started by ``serve``."""
        return self.data_dir / "ralph"

    @property
    def demo_lrs_connection(self) -> Path:
        """Where ``serve`` publishes the demo LRS's connection while it runs (mode 0600)."""
        return self.demo_lrs / "connection.json"

    @property
    def build(self) -> Path:
        """Compiled notebooks and the staged book sources."""
        return self.data_dir / "build"

    @property
    def book_output(self) -> Path:
        """Jupyter Book output root (the HTML is in ``_build/html`` below it)."""
        return self.data_dir / "livre"

    @property
    def book_html(self) -> Path:
        """The built book served at ``/livre/``."""
        return self.book_output / "_build" / "html"
