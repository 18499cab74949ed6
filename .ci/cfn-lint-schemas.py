"""Writes resource schemas that teach cfn-lint 1.51 what its bundled schemas predate.

CloudFormation (and the CDK 2.276 L1s generated from its schemas: CfnScalableTarget, CfnDashboard,
CfnListener and CfnListenerRule are taggable) accepts Tags on these types; cfn-lint 1.51 reports them as E3002. The
patched copies are cfn-lint's own schemas plus a Tags property, loaded with --registry-schemas, so
every other check on these types still runs. Usage: python3 cfn-lint-schemas.py OUTPUT_DIR
"""

import json
import os
import sys

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

TAGGABLE_SINCE_CFN_LINT_1_51 = [
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::CloudWatch::Dashboard",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ElasticLoadBalancingV2::ListenerRule",
]

TAG = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"Key": {"type": "string"}, "Value": {"type": "string"}},
    "required": ["Key", "Value"],
}

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for type_name in TAGGABLE_SINCE_CFN_LINT_1_51:
    schema = dict(PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", type_name).schema)
    schema["properties"] = {**schema["properties"], "Tags": {"type": "array", "items": TAG}}
    with open(os.path.join(out, type_name.replace("::", "-") + ".json"), "w", encoding="utf-8") as f:
        json.dump(schema, f)
