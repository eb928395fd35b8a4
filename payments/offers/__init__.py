"""A listing's terms: the creator's signed EIP-712 offer (services, apis), later changes of a
registered listing's split and tier prices (updates) and their history (history)."""
