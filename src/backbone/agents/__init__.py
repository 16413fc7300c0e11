"""The shared AI layer: CrewAI agents, tools and LLM selection (a later issue)."""
