"""UI-free streaming: SSE parsing, typed events, the transcript and its reducer."""
