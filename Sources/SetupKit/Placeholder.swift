// SetupKit: see issue 6.
