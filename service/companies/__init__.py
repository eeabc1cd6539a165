"""Companies: the legal entities that own devices, employ people and donate their own pool (issue 14)."""
