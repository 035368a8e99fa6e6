"""The domain model of fairshare: a region, its municipalities, target groups and policy, with the
input formats (instance directory, Excel workbook) and their validation. No solver imports here."""
