"""Adapters that run peer optimisers (BayBE, Ax, hea-bench's design campaign) on a discovery
study's design space, each set up the way its own documentation recommends for a mixture
(sum-to-one) design with a binary outcome. Benchmark code only: the product never imports
these modules, and BayBE / Ax come from the optional ``peers`` extra."""
