// SurveyDispatch: see the issue that builds it.
