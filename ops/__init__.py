"""Runbooks that operate a deployed platform through boto3 (`python -m ops <command>`)."""
