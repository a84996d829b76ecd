"""The demo's knowledge-check questions (every complete demo plan has them)."""

QUESTIONS = [
    (
        "Who is the best-fit buyer for this program?",
        "single",
        "Heads of analytics at 200–5,000-person companies: they own the Monday-morning numbers.",
        [
            ("Head of analytics at a mid-size company", True),
            ("Any IT manager", False),
            ("Procurement", False),
        ],
    ),
    (
        "Which two proof points do we lead with?",
        "multiple",
        "Both come from the pilot: expansion and a shorter sales cycle.",
        [
            ("Pilots expanded 34% on renewal", True),
            ("Sales cycle 18 days shorter", True),
            ("Cheapest on the market", False),
        ],
    ),
    (
        "A customer says “we already have dashboards”. Your first move?",
        "single",
        "Ask what they do with last week's numbers on Monday morning: sell the insight, "
        "not the chart.",
        [
            ("Ask what they do with the numbers on Monday", True),
            ("Offer a discount", False),
            ("Send the datasheet", False),
        ],
    ),
]
