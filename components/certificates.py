"""A public ACM certificate validated through a Route 53 zone, and the wait until ACM issues it.

ACM certificates are regional: a load balancer needs one in its own region, and each region's
certificate is validated on its own (ACM user guide, "Supported Regions"). Certificates for the
same name in one account can be handed the same validation CNAME (two regions' records collide:
hashicorp/terraform-provider-aws#13653), so each region writes its records with `allow_overwrite`
instead of failing on "record already exists". The records stay after issue: ACM's managed
renewal checks them again. Removing a region deletes its copy of a shared record: run
`pulumi refresh` and `pulumi up` afterwards so the remaining regions write theirs back.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

VALIDATION_RECORD_TTL_SECONDS = 300


def _option(options: Sequence[aws.acm.outputs.CertificateDomainValidationOption], domain: str) -> dict[str, str]:
    for option in options:
        if option.domain_name == domain:
            return {
                "name": str(option.resource_record_name),
                "type": str(option.resource_record_type),
                "value": str(option.resource_record_value),
            }
    raise pulumi.RunError(f"ACM returned no DNS validation record for {domain}")


def validated_certificate(
    name: str,
    *,
    domain_name: str,
    alternative_names: Sequence[str],
    zone_id: pulumi.Input[str],
    parent: pulumi.Resource,
) -> aws.acm.CertificateValidation:
    """Certificate `name` for `domain_name` and `alternative_names`; use the result's `certificate_arn`.

    The names are plain values, so the validation records are decided before anything is
    created (one per name, never inside an `apply`).
    """
    child = pulumi.ResourceOptions(parent=parent)
    certificate = aws.acm.Certificate(
        name,
        domain_name=domain_name,
        subject_alternative_names=list(alternative_names),
        validation_method="DNS",
        # RSA 2048: the key type every TLS client and the NLB's TLS listeners accept.
        key_algorithm="RSA_2048",
        tags={"Name": domain_name},
        opts=child,
    )
    records = []
    for domain in (domain_name, *alternative_names):
        record = certificate.domain_validation_options.apply(lambda options, d=domain: _option(options, d))
        records.append(
            aws.route53.Record(
                f"{name}-validation-{domain}",
                zone_id=zone_id,
                name=record["name"],
                type=record["type"],
                records=[record["value"]],
                ttl=VALIDATION_RECORD_TTL_SECONDS,
                allow_overwrite=True,
                opts=child,
            )
        )
    return aws.acm.CertificateValidation(
        f"{name}-validation",
        certificate_arn=certificate.arn,
        validation_record_fqdns=[record.fqdn for record in records],
        opts=child,
    )
