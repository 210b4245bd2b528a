{
  "algorithm": "ed25519",
  "format": "livelens-manifest-sig-v1",
  "key_id": "ed25519:bcdb306f534a9242",
  "signature": "wGe6h+4ekB6rGjiGKzwn3nfdKyvM7+UfWwF++ZLkVrpacOUGQycuxX9SnrUBXku+Aagx1Qckcx2Y5wN0MHM+Ag=="
}
