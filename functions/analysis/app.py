"""Image analysis in the force's own account: faces and readable text in a photo the policy function
sends (a bounded JPEG copy in the request). Runs as a container image (see analysis/Dockerfile):
the models ship inside its packages and load once, while the function starts."""
from aws_lambda_powertools import Logger, Tracer

from pressroom.adapters.local_vision import LocalVisionDetector, analyse_request

logger = Logger()
tracer = Tracer()
detector = LocalVisionDetector()
detector.load()  # in the init phase, not on the first photo


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict, context: object) -> dict:
    result = analyse_request(event, detector)
    analysis = result["analysis"]
    logger.info("photo analysed", faces=len(analysis.get("faces", [])), lines=len(analysis.get("lines", [])),
                available=analysis["available"])  # counts only: never the text read
    return result
