"""One module per tab, in the order a learner meets the ideas: generate, compare, limits, forward, guidance, model.

Each holds its tab's layout (``build(registry, model)``, called inside the page's Blocks with the page's model
dropdown), its handlers (plain functions: the registry first, then the inputs; they return or yield the outputs),
and the event wiring, placed next to the components it connects.
"""
