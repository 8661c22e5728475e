package kubelet

// DialInNetns is dialInNetns for the integration tests.
var DialInNetns = dialInNetns
