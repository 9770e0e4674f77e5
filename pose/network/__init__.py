"""The network: its spec and preprocessing, the runners (LiteRT, TensorFlow), the registry of
backends.
"""
