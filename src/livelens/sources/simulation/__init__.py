"""The parts of the session simulator; :mod:`livelens.sources.simulator` is the public face.

config (the knobs) → catalog (products, personas) → schedule (what the host does when) →
world (the per-second rates they imply) → audience (who is in the room) → comments (what they
say) → funnel (click, cart, order) → engine (one second at a time, as rows) → factories (rows
into typed events) → truth (what an analysis should find).
"""
