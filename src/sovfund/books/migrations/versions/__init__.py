"""The books' migrations, oldest first."""
