"""A program that fails on purpose under the mocks leaves nothing on stderr after it is reported."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from eksplatform.preflight.synth import PROJECT_ROOT

FAILING_PROGRAM = textwrap.dedent(
    """
    import pulumi
    import pulumi_aws as aws
    from eksplatform.preflight.synth import run_program

    def program():
        # An output that carries the error (as a missing stack-reference output does), used by
        # resources whose own outputs are then never awaited.
        failed = pulumi.Output.from_input("x").apply(lambda _: (_ for _ in ()).throw(pulumi.RunError("boom")))
        for index in range(3):
            topic = aws.sns.Topic(f"topic-{index}", name=failed)
            pulumi.export(f"topic-{index}", topic.arn)

    for _ in range(3):
        try:
            run_program(program)
        except pulumi.RunError as error:
            print("reported:", error)
    """
)


def test_a_failed_program_prints_only_its_error() -> None:
    done = subprocess.run(
        [sys.executable, "-c", FAILING_PROGRAM], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["reported: boom"] * 3
    # Before: one "Future exception was never retrieved" traceback per abandoned output, at exit.
    assert done.stderr == ""
