"""The content folder: typed models, loading with validation, and rendering for Telegram."""
