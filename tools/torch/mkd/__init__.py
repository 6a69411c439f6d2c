"""PyTorch twin of the playground's engine: the same ViT, losses, optimizer, config and
checkpoint format, written from ../shared/docs/manifold-distillation.md."""
