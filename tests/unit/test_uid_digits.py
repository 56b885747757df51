"""uids and gids are ASCII digits only, as Go's strconv reads them: a fullwidth digit is a name, not a uid."""
from __future__ import annotations

import pytest

from podcompose import kubelet

FULLWIDTH_ONE = "\uff11"


def test_a_fullwidth_digit_user_is_not_numeric_under_run_as_non_root() -> None:
    error = kubelet.non_root_error(None, FULLWIDTH_ONE)
    assert error is not None and "non-numeric user" in error
    assert kubelet.non_root_error(None, "1") is None


def test_a_fullwidth_digit_user_is_looked_up_by_name() -> None:
    passwd = kubelet.parse_passwd(f"root:x:0:0::/:/bin/sh\n{FULLWIDTH_ONE}:x:0:0::/:/bin/sh\n")
    identity = kubelet.process_identity(None, None, FULLWIDTH_ONE, (), "Merge", passwd, ())
    assert identity.uid == 0                                   # what it really is: the account named so
    with pytest.raises(ValueError, match="not in the image's /etc/passwd"):
        kubelet.process_identity(None, None, FULLWIDTH_ONE, (), "Merge", (), ())


def test_account_lines_with_non_ascii_ids_are_skipped() -> None:
    assert kubelet.parse_passwd(f"odd:x:{FULLWIDTH_ONE}:0::/:/bin/sh\nok:x:5:5::/:/bin/sh\n") == \
        (kubelet.Account("ok", 5, 5),)
    assert [g.name for g in kubelet.parse_group(f"odd:x:{FULLWIDTH_ONE}:\nok:x:7:a\n")] == ["ok"]
