"""The Gradio chat app; thin: it calls the same `rag` pipeline as the CLI."""
