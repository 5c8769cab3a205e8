package accountability

// DecisionLogMessageForTest lets the external tests compare the message
// ReadDecisionLog reads with policies.DecisionLogMessage.
const DecisionLogMessageForTest = decisionLogMessage
