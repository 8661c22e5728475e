package awslb

// Annotation prefix and keys the AWS Load Balancer Controller reads from
// Ingresses (and, overriding them, from the backend Services).
const (
	AnnotationPrefix          = "alb.ingress.kubernetes.io/"
	AnnTargetType             = AnnotationPrefix + "target-type"
	AnnTargetGroupAttributes  = AnnotationPrefix + "target-group-attributes"
	AnnHealthCheckPath        = AnnotationPrefix + "healthcheck-path"
	AnnHealthCheckPort        = AnnotationPrefix + "healthcheck-port"
	AnnHealthCheckInterval    = AnnotationPrefix + "healthcheck-interval-seconds"
	AnnHealthCheckTimeout     = AnnotationPrefix + "healthcheck-timeout-seconds"
	AnnHealthyThreshold       = AnnotationPrefix + "healthy-threshold-count"
	AnnUnhealthyThreshold     = AnnotationPrefix + "unhealthy-threshold-count"
	AnnSuccessCodes           = AnnotationPrefix + "success-codes"
	AnnIngressClassDeprecated = "kubernetes.io/ingress.class"
	// ReadinessGatePrefix prefixes the pod condition type set for ip
	// targets: target-health.elbv2.k8s.aws/<target group name>.
	ReadinessGatePrefix = "target-health.elbv2.k8s.aws/"
)

// Target types of a target group (annotation AnnTargetType).
const (
	TargetTypeInstance = "instance"
	TargetTypeIP       = "ip"
)

// AttrDeregistrationDelay is the target-group attribute holding the
// deregistration delay, in whole seconds.
const AttrDeregistrationDelay = "deregistration_delay.timeout_seconds"
