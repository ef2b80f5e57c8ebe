"""Pressroom: scrub, check, approve and publish a police press office's photos."""
