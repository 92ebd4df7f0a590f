"""Instruction-set simulator of an eight-core Snitch cluster with ITA and DMA."""
