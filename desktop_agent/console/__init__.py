"""The voice engine in a terminal (``desktop-agent --console``): typed commands in, transcripts and latencies out."""
