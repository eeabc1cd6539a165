"""Impact and circularity reporting: CO2e avoided, one-for-one coverage, second life, money, procurement."""
