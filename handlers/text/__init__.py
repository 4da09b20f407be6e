"""Everything people read, in Dutch and English: replies, /nmbrs answers, alerts, explanations."""
