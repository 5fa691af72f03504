"""Runbooks that operate a deployed platform through boto3 (`eksplatform-ops <command>`)."""
