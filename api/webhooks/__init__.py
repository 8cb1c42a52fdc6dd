"""Webhooks to platforms (Standard Webhooks): endpoints, the outbox, signing and delivery."""
