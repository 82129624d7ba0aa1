//! Host baseline presets (runbook sections 2 and 3), filled in below.
