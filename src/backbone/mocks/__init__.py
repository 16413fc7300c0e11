"""The mock microservices: users (9001), orders (9002) and the unreliable flaky service (9003)."""
