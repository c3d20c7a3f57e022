"""A client's Part 2 disclosure record: consents, emergency access and disclosures."""
