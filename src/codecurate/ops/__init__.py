"""Operations around runs: the output-root lock, scheduled releases, version derivation, tracking."""
