// Evaluates AWS requests against identity policies with @cloud-copilot/iam-simulate (a maintained
// IAM policy evaluator: Resource and Condition matching, explicit and implicit denies), which
// moto's IAM enforcement does not do. Reads from stdin a JSON list of
//   {"name", "policy", "action", "resource", "account", "context"}
// and writes a JSON list of {"name", "decision", "errors"}; decision is Allowed,
// ImplicitlyDenied or ExplicitlyDenied (errors: the request or policy did not validate).
import { runSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const requests = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const results = []
for (const request of requests) {
  const simulation = {
    request: {
      principal: `arn:aws:iam::${request.account}:role/${request.name}`,
      action: request.action,
      resource: { resource: request.resource, accountId: request.account },
      contextVariables: request.context || {}
    },
    identityPolicies: [{ name: request.name, policy: request.policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: []
  }
  const response = await runSimulation(simulation, {})
  if (response.resultType === 'error') {
    results.push({ name: request.name, decision: null, errors: response.errors })
  } else {
    results.push({ name: request.name, decision: response.overallResult, errors: null })
  }
}
process.stdout.write(JSON.stringify(results))
