"""CRM: customers from orders — RFM(+E) segments, BG/NBD + Gamma-Gamma CLV, consented audiences.

The core (summary, rfm, segments, engagement, bgnbd, gamma_gamma, clv, holdout) is pure: tables
and an ``as_of`` date in, numbers out. transactions, consent and audiences do the I/O.
"""
