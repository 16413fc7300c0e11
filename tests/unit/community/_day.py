"""A day of a product channel's chat, shared by the analysis and summary tests."""

DAY = [
    "The pricing page is confusing, what does the team plan cost?",
    "I love the new dashboard release, great work!",
    "Pricing for the team plan should be on the pricing page.",
    "The dashboard release broke my login on Safari.",
    "Login fails again after the dashboard release, terrible.",
    "How do I export my data to CSV?",
    "Export to CSV works for me from the dashboard settings.",
    "Is the pricing page updated for annual billing?",
    "Thanks, the CSV export is awesome.",
    "Anyone else seeing login errors since the release?",
    "The team plan pricing is fair, I think.",
    "how do i export my data to csv?",
]
