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

// Load balancer attributes (annotation AnnLoadBalancerAttributes, a
// stringMap like the target-group attributes).
const (
	AnnLoadBalancerAttributes = AnnotationPrefix + "load-balancer-attributes"
	// AttrIdleTimeout is the ALB's connection idle timeout, in whole
	// seconds (60 by default).
	AttrIdleTimeout = "idle_timeout.timeout_seconds"
)

// Names of the AWS Load Balancer Controller outside the annotations.
const (
	// IngressController is the spec.controller of the controller's
	// IngressClass.
	IngressController = "ingress.k8s.aws/alb"
	// IngressClassALB is the class name the controller serves by default.
	IngressClassALB = "alb"
	// LabelReadinessGateInject, set to "enabled" on a namespace, makes the
	// controller's webhook inject the readiness gates into its pods.
	LabelReadinessGateInject = "elbv2.k8s.aws/pod-readiness-gate-inject"
)
