"""MLflow models-from-code entry point: MLflow executes this file when it loads the model.

Never imported by the project itself; `training` passes its path to ``log_model`` so the
logged model holds code and plain files only, nothing pickled.
"""

from mlflow.models import set_model

from models.pyfunc import RiskModelPyfunc

set_model(RiskModelPyfunc())
