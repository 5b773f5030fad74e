"""Test runs: a question's tests run against a session's code (`manager.py`), each in its
own sandbox (`judge.py`), compared by the question's mode (`compare.py`), recorded
(`store.py`) and shown by role (`views.py`)."""
