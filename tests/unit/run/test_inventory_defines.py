"""Which modules of the tree define tests (hostile cases 347, 351): pure tables."""

from __future__ import annotations

import pytest

from pytest_pyramid.run.inventory import ScanRules, defines_tests, named_as_tests, why_not_collected


@pytest.mark.parametrize(("source", "functions", "expected"), [
    ("def test_a():\n    assert False\n", True, True),
    ("async def test_a():\n    pass\n", True, True),
    # a report writer's helper named test_*: a test only in a file named as tests
    ("def test_entry(entry):\n    return {}\n", False, False),
    ("class TestPay:\n    def test_a(self):\n        pass\n", False, True),
    ("import unittest\nclass Pay(unittest.TestCase):\n    def test_a(self):\n        pass\n",
     False, True),
    ("from unittest import TestCase\nclass Pay(TestCase):\n    def test_a(self): ...\n",
     False, True),
    # a test class without a test method, a nested def, text that names tests only
    ("class TestHelper:\n    value = 1\n", True, False),
    ("def helper():\n    def test_inner():\n        pass\n", True, False),
    ("'''def test_x(): in a docstring'''\n", True, False),
    ("def test_a(:\n", True, False),
    ("x = 1\n", True, False),
])
def test_what_defines_a_test(source: str, functions: bool, expected: bool) -> None:
    assert defines_tests(source.encode(), functions=functions) is expected


@pytest.mark.parametrize(("rel", "expected"), [
    ("tests/unit/extra/test-payments.py", True),
    ("mypkg/tests/helpers.py", True),
    ("mypkg/Test_payments.py", True),
    ("mypkg/payments_tests.py", True),
    ("pytest_pyramid/verdict/report_ctrf.py", False),
    ("mypkg/contest.py", False),
])
def test_test_functions_count_in_files_named_as_tests(rel: str, expected: bool) -> None:
    assert named_as_tests(rel) is expected


@pytest.mark.parametrize(("rel", "why"), [
    ("tests/unit/extra/test-payments.py", "its name misses python_files"),
    ("tests/unit/extra/payments_tests.py", "its name misses python_files"),
    ("mypkg/tests/test_legacy.py", "it lies outside the collected paths"),
    ("test/payments_test.py", "it lies outside the collected paths"),
])
def test_why_a_test_file_was_not_collected(rel: str, why: str) -> None:
    assert why_not_collected(rel, ScanRules()).startswith(why)


@pytest.mark.parametrize(("source", "expected"), [
    # hostile case 391: the project's own names (python_functions = check, python_classes = Check)
    ("def check_refund():\n    assert False\n", True),
    ("class CheckRefund:\n    def check_a(self):\n        assert False\n", True),
    ("def test_other():\n    pass\n", False),  # not a test by this project's rules
    ("def helper():\n    pass\n", False),
    ("class Check*:\n", False),  # does not parse
])
def test_a_project_s_own_test_names_define_tests(source: str, expected: bool) -> None:
    assert defines_tests(source.encode(), function_names=("check",),
                         class_names=("Check",)) is expected


def test_glob_names_are_read_as_pytest_reads_them() -> None:
    assert defines_tests(b"def it_refunds():\n    pass\n", function_names=("it_*",))
    assert not defines_tests(b"def refunds_it():\n    pass\n", function_names=("it_*",))


@pytest.mark.parametrize("source", [
    "import sys\nif sys.platform != 'win32':\n    def test_a():\n        assert False\n",
    "try:\n    import x\nexcept ImportError:\n    def test_a():\n        pass\n",
    "with open(__file__):\n    class TestA:\n        def test_b(self):\n            pass\n",
    "if True:\n    pass\nelse:\n    def test_a():\n        pass\n",
])
def test_tests_defined_in_top_level_blocks_count(source: str) -> None:
    """Hostile case 391 (c): a test under `if sys.platform ...` runs at import as the
    module's own."""
    assert defines_tests(source.encode())


def test_a_file_named_by_the_project_s_python_files_has_test_functions() -> None:
    rules = ScanRules(python_files=("check_*.py",))
    assert named_as_tests("qa/check_refund.py", rules)
    assert not named_as_tests("qa/refund.py", rules)
    assert not named_as_tests("qa/check_refund.py")
