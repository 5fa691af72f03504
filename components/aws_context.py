"""Where a component runs: account, region and partition, looked up once per component.

Policies and ARNs need all three; a component builds one `AwsContext` with itself as the
invoke parent (so the lookups use the component's provider) and hands it to its helpers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class AwsContext:
    account: pulumi.Output[str]
    region: pulumi.Output[str]
    partition: pulumi.Output[str]

    @classmethod
    def of(cls, parent: pulumi.Resource) -> AwsContext:
        from eksplatform.components.offline import PARTITION, current  # offline imports short_region from here

        unreachable = current()
        if unreachable is not None:
            # The region is down (config unreachableRegions): no lookups, values from config.
            return cls(
                account=pulumi.Output.from_input(unreachable.account),
                region=pulumi.Output.from_input(unreachable.region),
                partition=pulumi.Output.from_input(PARTITION),
            )
        invoke = pulumi.InvokeOutputOptions(parent=parent)
        return cls(
            account=aws.get_caller_identity_output(opts=invoke).account_id,
            region=aws.get_region_output(opts=invoke).region,
            partition=aws.get_partition_output(opts=invoke).partition,
        )

    def arn(self, service: str, resource: str, *, regional: bool = True) -> pulumi.Output[str]:
        """`arn:<partition>:<service>:<region>:<account>:<resource>` (no region for global services)."""
        region: pulumi.Input[str] = self.region if regional else ""
        return pulumi.Output.format("arn:{0}:{1}:{2}:{3}:{4}", self.partition, service, region, self.account, resource)

    @property
    def account_root(self) -> pulumi.Output[str]:
        """The account itself as a principal: IAM policies in the account decide who may act."""
        return pulumi.Output.format("arn:{0}:iam::{1}:root", self.partition, self.account)

    def managed_policy(self, name: str) -> pulumi.Output[str]:
        """ARN of an AWS-managed IAM policy, e.g. `AmazonEKSClusterPolicy` or `service-role/...`."""
        return pulumi.Output.format("arn:{0}:iam::aws:policy/{1}", self.partition, name)

    def service_principal(self, service: str) -> pulumi.Output[str]:
        """Regional service principal, e.g. `logs.eu-west-1.amazonaws.com`."""
        return pulumi.Output.format("{0}.{1}.amazonaws.com", service, self.region)


_DIRECTIONS = {
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "central": "c",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}


def short_region(region: str) -> str:
    """`us-east-1` -> `use1`, `ap-southeast-1` -> `apse1`: for names AWS caps at a few dozen characters."""
    area, direction, number = region.split("-")
    return f"{area}{_DIRECTIONS.get(direction, direction)}{number}"
