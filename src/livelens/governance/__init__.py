"""Digital trust, cutting across the chain: licences, labels, privacy, access, audit, integrity."""
