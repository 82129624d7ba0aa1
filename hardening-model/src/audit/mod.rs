//! Placeholder: the runbook's Appendix B checklist as code (filled by the audit work).
