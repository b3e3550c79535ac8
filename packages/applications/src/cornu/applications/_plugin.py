"""cornu-applications' registrations: none yet (the architectures are not shipped)."""
